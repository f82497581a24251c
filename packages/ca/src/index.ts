export { CaError, CA_DIGEST_MISMATCH, INVALID_JOIN_TOKEN, type CaErrorCode } from './errors.js';
export { generateRsaKeyPair, RSA_KEY_BITS, type KeyPairPem } from './keys.js';
export { certificateDigest } from './digest.js';
export { newNodeId, isValidNodeId } from './ids.js';
export { createRootCa, loadRootCa, DEFAULT_ROOT_CA_EXPIRY_MS, ROOT_CA_COMMON_NAME, type RootCaMaterial, type CreateRootCaOptions } from './root-ca.js';
export { createCsr, parseCsr, type NodeCsr } from './csr.js';
export {
  signNodeCertificate,
  resolveNodeCertExpiry,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  MIN_NODE_CERT_EXPIRY_MS,
  type SignNodeCertificateOptions,
} from './node-cert.js';
export { MANAGER_OU, WORKER_OU, roleToOu, ouToRole, isCertRole, type CertRole } from './roles.js';
export { verifyNodeCertificate, readNodeIdentity, type NodeIdentity, type VerifyNodeCertificateOptions } from './verify.js';
export {
  generateJoinToken,
  parseJoinToken,
  createJoinTokens,
  rotateJoinTokens,
  matchJoinToken,
  matchServiceToken,
  checkCaPin,
  type ParsedJoinToken,
  type TokenRotation,
} from './join-token.js';
export { nextRenewalAt, msUntilRenewal, RENEW_WINDOW_START, RENEW_WINDOW_END } from './renewal.js';
export { isDenied } from './deny.js';
export { issueLocalNodeCredentials, type NodeCredentials, type IssueLocalOptions } from './local-issue.js';
export { issuedCertificate, type IssuedCertificate } from './issued-certificate.js';
export { OptionalClientCertServerCredentials, type ServerIdentity } from './grpc/server-credentials.js';
export { peerIdentity, requirePeer, requireRole, type PeerPolicy, type HasAuthContext } from './grpc/peer.js';
export { denyListInterceptor } from './grpc/deny-interceptor.js';
export { callGate } from './grpc/call-gate.js';
export { decideManagerOnlyCall, managerOnlyInterceptor, type ManagerOnlyDecision } from './grpc/manager-only.js';
export { toStatus, fromServiceError, CA_ERROR_CODE_KEY } from './grpc/status.js';
export { createNodeCaHandlers, peerPolicyOf, type NodeCaState, type IssuedBy } from './grpc/node-ca-service.js';
export { startNodeCaServer, type NodeCaServerOptions, type RunningNodeCaServer } from './grpc/node-ca-server.js';
export { CA_LISTENER_LIMITS, ConnectionGate, grpcServerOptions, type CaListenerLimits } from './grpc/listener-limits.js';
export { managerChannelCredentials, unverifiedChannelCredentials, managerIdentityCheck, MANAGER_CHANNEL_OPTIONS } from './grpc/client-credentials.js';
export {
  joinCluster,
  renewNodeCertificate,
  fetchRootCaCertificate,
  getJoinTokens,
  getRouteKeys,
  DEFAULT_CALL_TIMEOUT_MS,
  type JoinOptions,
  type RenewOptions,
  type CallOptions,
} from './grpc/node-ca-client.js';
export { natsUsers, type NatsNodeEntry } from './nats-permissions.js';
export { natsRouteKeys, nextManagerKeys, MAX_MANAGER_KEYS, type NatsRouteKeyOptions, type KeyedCertificate } from './nats-route-keys.js';
export { publicKeySha256, certificateKeySha256, isPublicKeySha256 } from './public-key.js';
export { localSigner, type NodeCertificateSigner, type NodeSignRequest } from './signer.js';
export { cfsslSigner, signerFromExternalCas, type CfsslSignerOptions } from './cfssl-signer.js';
export { nodeSanHosts } from './node-cert.js';
export {
  startCertificateRenewal,
  retryDelayMs,
  MAX_TIMER_MS,
  type CertificateRenewer,
  type CertificateRenewerOptions,
  type TimerApi,
} from './renewer.js';
export { deriveSecretsKey, sealSecretValue, openSecretValue, type SecretsKey } from './secrets/secret-seal.js';
export { crossSignRootCa, isCrossSignedBy } from './rotation/cross-sign.js';
export { rotationProgress, trustBundle, issuedChain, type RotationPhase, type RotationProgress, type NodeCertIssuer } from './rotation/rotation-progress.js';
export { splitPemCertificates, issuerDigestIn } from './pem-bundle.js';
export {
  issuancePlan,
  rotationStatus,
  rotationNotice,
  needsRenewalFor,
  type RootRotationRecord,
  type IssuancePlan,
  type NodeCertRecord,
  type RotationAction,
  type RotationStatus,
  type RotationNotice,
} from './rotation/rotation-plan.js';
export {
  SERVICE_OU_PREFIX,
  serviceOu,
  serviceNatsUser,
  serviceFromOu,
  serviceNatsUsers,
  signServiceCertificate,
  verifyServiceCertificate,
  type ServiceIdentity,
  type SignServiceCertificateOptions,
} from './service-identity.js';
export { createServiceCaHandlers, serviceCaPortService, joinAsService, type ServiceCaState, type ServiceCredentials } from './grpc/service-ca.js';
