/*
 * Paced raw-frame sender for the fault tests and bench/faults.mjs: reads Ethernet frames as hex,
 * one per line, from a file and sends them in rotation on one interface through an AF_PACKET
 * socket at a fixed rate for a fixed time. It does no encoding (the frames come from scapy) and
 * costs about one sendto() per frame, so on a shared machine the daemon under test, not this
 * sender, is what runs out of CPU. Run only inside a lab network namespace.
 *
 *   flood IFACE RATE_PER_S SECONDS FRAMES_FILE
 * prints "sent N in S s" on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 256
#define MAX_LEN 1514

static unsigned char frames[MAX_FRAMES][MAX_LEN];
static size_t lens[MAX_FRAMES];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: flood IFACE RATE_PER_S SECONDS FRAMES_FILE\n");
    return 2;
  }
  const char *ifname = argv[1];
  double rate = atof(argv[2]);
  double seconds = atof(argv[3]);
  FILE *f = fopen(argv[4], "r");
  if (!f || rate <= 0 || seconds <= 0) {
    fprintf(stderr, "flood: bad arguments\n");
    return 2;
  }
  static char line[2 * MAX_LEN + 4];
  int n = 0;
  while (n < MAX_FRAMES && fgets(line, sizeof line, f)) {
    size_t len = 0;
    for (char *p = line; p[0] && p[1] && hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && len < MAX_LEN; p += 2)
      frames[n][len++] = (unsigned char)(hexval(p[0]) * 16 + hexval(p[1]));
    if (len >= 14) lens[n++] = len;
  }
  fclose(f);
  if (n == 0) {
    fprintf(stderr, "flood: no frames\n");
    return 2;
  }
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) {
    perror("flood: socket");
    return 1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)if_nametoindex(ifname);
  if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    perror("flood: bind");
    return 1;
  }
  double start = now_s();
  unsigned long sent = 0, failed = 0;
  int i = 0;
  /* Sleep 1 ms between catch-ups, or one packet interval when that is longer. */
  long tick_ns = 1000000L;
  if (1e9 / rate > tick_ns) tick_ns = (long)(1e9 / rate);
  for (;;) {
    double el = now_s() - start;
    if (el >= seconds) break;
    unsigned long due = (unsigned long)(el * rate) + 1;
    while (sent + failed < due) {
      if (send(fd, frames[i], lens[i], 0) < 0) {
        if (errno != ENOBUFS && errno != EAGAIN) {
          perror("flood: send");
          return 1;
        }
        failed++;
      } else
        sent++;
      i = (i + 1) % n;
    }
    struct timespec ts = {0, tick_ns};
    nanosleep(&ts, NULL);
  }
  printf("sent %lu in %.3f s (%lu not queued)\n", sent, now_s() - start, failed);
  return 0;
}
