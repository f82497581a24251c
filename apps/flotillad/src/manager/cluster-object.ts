import type { Cluster, ClusterSpec } from '@flotilla/api';
import { createJoinTokens, type RootCaMaterial } from '@flotilla/ca';

/** The Cluster object `swarm init` writes: spec, root CA (the key lives only in the managers' store) and fresh join tokens. */
export function createInitCluster(clusterId: string, spec: ClusterSpec, rootCa: RootCaMaterial, dataPathPort = 0): Cluster {
  return {
    id: clusterId,
    spec,
    rootCa: {
      caCert: Buffer.from(rootCa.certPem),
      caKey: Buffer.from(rootCa.keyPem),
      caCertHash: rootCa.digest,
      joinTokens: createJoinTokens(rootCa.digest),
    },
    gossipKeys: [],
    deniedNodeIds: [],
    dataPathPort,
  };
}
