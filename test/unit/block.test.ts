import { describe, expect, it } from 'vitest';
import { withBlock } from '../../src/operations/block.js';

const hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n';

describe('block in a file', () => {
  it('appends, replaces in place, removes, and keeps everything else', () => {
    const once = withBlock(hosts, 'cluster', '10.0.0.1 a\n10.0.0.2 b\n');
    expect(once).toBe(`${hosts}# BEGIN haforge cluster\n10.0.0.1 a\n10.0.0.2 b\n# END haforge cluster\n`);
    expect(withBlock(once, 'cluster', '10.0.0.1 a\n10.0.0.2 b\n')).toBe(once);
    const edited = once + '192.0.2.9 later\n';
    expect(withBlock(edited, 'cluster', '10.0.0.3 c')).toBe(`${hosts}# BEGIN haforge cluster\n10.0.0.3 c\n# END haforge cluster\n192.0.2.9 later\n`);
    expect(withBlock(edited, 'cluster', undefined)).toBe(`${hosts}192.0.2.9 later\n`);
    expect(withBlock('', 'x', 'line')).toBe('# BEGIN haforge x\nline\n# END haforge x\n');
    expect(withBlock(withBlock(once, 'other', 'o'), 'cluster', undefined)).toBe(`${hosts}# BEGIN haforge other\no\n# END haforge other\n`);
  });
});
