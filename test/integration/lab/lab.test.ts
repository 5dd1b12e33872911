import { describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Lab } from '../../../src/lab/lab.js';
import { itWhen, isRoot } from '../../helpers/require.js';

describe('Lab (network namespaces)', () => {
  itWhen(isRoot)('wires hosts through a bridge and removes every namespace on destroy', () => {
    const lab = new Lab('tlab');
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.1/24', 'fd00:db8::1/64'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.2/24', 'fd00:db8::2/64'] });
      expect(lab.addresses('a')).toContain('192.0.2.1/24');
      // Traffic only between the lab's own namespaces.
      lab.exec('a', ['ping', '-c1', '-W2', '192.0.2.2']);
      lab.exec('a', ['ping', '-6', '-c1', '-W2', 'fd00:db8::2']);
      lab.setLink('b', false);
      expect(() => lab.exec('a', ['ping', '-c1', '-W1', '192.0.2.2'])).toThrow();
      const sleeper = lab.spawn('b', ['sleep', '60']);
      expect(sleeper.pid).toBeGreaterThan(0);
    } finally {
      lab.destroy();
    }
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(left).not.toContain(lab.id);
  });
});
