// Run by the supervisor test as a separate process: starts a supervised
// nats-server, prints its pid, then exits without calling stop().
import { NatsServerSupervisor } from '../../src/index.js';

const [configDir, caFile, certFile, keyFile, user] = process.argv.slice(2);
if (!configDir || !caFile || !certFile || !keyFile || !user) {
  process.stderr.write('usage: exit-child.ts CONFIG_DIR CA CERT KEY USER\n');
  process.exit(2);
}
const sup = new NatsServerSupervisor({
  configDir,
  serverName: 'exit-child',
  host: '127.0.0.1',
  port: 0,
  tls: { caFile, certFile, keyFile },
  users: [{ user }],
});
await sup.start();
process.stdout.write(`${sup.pid}\n`);
process.exit(0);
