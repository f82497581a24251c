// `.env` and `env_file:` files: KEY=VALUE lines, # comments, optional `export `, quotes.

/** Parses an env file; throws with the line number of a line that is not KEY=VALUE. */
export function parseEnvFile(text: string): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    if (!/^[^\s=]+$/.test(key)) throw new Error(`line ${i + 1}: ${JSON.stringify(raw)} is not KEY=VALUE`);
    if (eq < 0) {
      out.push([key, undefined]);
      return;
    }
    out.push([key, unquote(body.slice(eq + 1).trim())]);
  });
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  // An unquoted value ends at " #" (an inline comment).
  const hash = v.search(/\s#/);
  return hash >= 0 ? v.slice(0, hash).trimEnd() : v;
}
