/** What `iptables-save -t nat` shows of our objects. */
export interface ObservedNat {
  /** Every chain of the nat table whose name starts with our prefix. */
  chains: string[];
  /** How many times each built-in chain jumps to our top chain. */
  hooks: Record<string, number>;
  /** The rules of each of our chains, as iptables-save prints them. */
  rules: Record<string, string[]>;
}

/** Pure: reads the parts of `iptables-save -t nat` output that concern chains named `<prefix>…`. */
export function parseNatSave(text: string, prefix: string, topChain: string): ObservedNat {
  const chains: string[] = [];
  const hooks: Record<string, number> = {};
  const rules: Record<string, string[]> = {};
  let inNat = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inNat = line === '*nat';
    if (!inNat) continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      if (name.startsWith(prefix)) chains.push(name);
      continue;
    }
    const owner = /^-A (\S+) /.exec(line)?.[1];
    if (owner?.startsWith(prefix)) (rules[owner] ??= []).push(line);
    const hook = /^-A (\S+) -j (\S+)$/.exec(line);
    if (hook && hook[2] === topChain && !hook[1]!.startsWith(prefix)) {
      hooks[hook[1]!] = (hooks[hook[1]!] ?? 0) + 1;
    }
  }
  return { chains, hooks, rules };
}
