// The ipvsadm commands whose generic netlink requests test/vm/capture-ipvsadm-vectors.ts records
// and test/unit/kernel/ipvs-genl-codec.test.ts compares with ours.

/** ipvsadm argument lists, in order (later ones edit what earlier ones made). */
export const IPVSADM_COMMANDS: readonly string[] = [
  '-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0',
  '-A -u [2001:db8::1]:53 -s mh -b mh-port -o -p 60 -M 64',
  '-A -f 7 -6 -s fo',
  '-A -u 192.0.2.4:5060 -s rr -p 60 --pe sip',
  '-A --sctp-service 192.0.2.3:99 -s ovf',
  '-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 3 -x 100 -y 10',
  '-a -t 192.0.2.1:80 -r 198.51.100.3:80 -g -w 0',
  '-a -t 192.0.2.1:80 -r 198.51.100.4:80 -i --tun-type gue --tun-port 6080 --tun-remcsum',
  '-a -t 192.0.2.1:80 -r 198.51.100.5:80 -i --tun-type gre --tun-csum',
  '-a -u [2001:db8::1]:53 -r [2001:db8:1::2]:53 -g',
  '-a -f 7 -6 -r [2001:db8:1::9]:0 -m -w 2',
  '-e -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 5 -x 50 -y 5',
  '-E -t 192.0.2.1:80 -s rr',
  '-d -t 192.0.2.1:80 -r 198.51.100.3:80',
  '-D --sctp-service 192.0.2.3:99',
  '--set 900 120 300',
];
