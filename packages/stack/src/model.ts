// The canonical compose model: what `stack config` prints and what conversion reads. Every
// short form is expanded (ports, volumes, secrets, configs, environment, depends_on), every
// duration is Go-formatted, paths are absolute; keys with no value are left out.

export interface PortModel {
  mode: 'ingress' | 'host';
  target: number;
  published?: string;
  protocol: 'tcp' | 'udp';
}

export interface MountModel {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
}

export interface FileRefModel {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface HealthModel {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

export interface UpdateModel {
  parallelism?: number;
  delay?: string;
  failure_action?: string;
  monitor?: string;
  max_failure_ratio?: number;
  order?: string;
}

export interface ResourcesModel {
  cpus?: number;
  memory?: string; // bytes
}

export interface DeployModel {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  update_config?: UpdateModel;
  rollback_config?: UpdateModel;
  resources?: { limits?: ResourcesModel; reservations?: ResourcesModel };
  restart_policy?: { condition?: string; delay?: string; max_attempts?: number; window?: string };
  placement?: { constraints?: string[] };
  endpoint_mode?: string;
}

export interface DependencyModel {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
}

export interface ServiceModel {
  cap_add?: string[];
  cap_drop?: string[];
  command?: string[];
  configs?: FileRefModel[];
  depends_on?: Record<string, DependencyModel>;
  deploy?: DeployModel;
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  extra_hosts?: string[];
  healthcheck?: HealthModel;
  hostname?: string;
  image?: string;
  init?: boolean;
  labels?: Record<string, string>;
  logging?: { driver?: string; options?: Record<string, string> };
  networks: Record<string, { aliases?: string[] } | null>;
  ports?: PortModel[];
  read_only?: boolean;
  secrets?: FileRefModel[];
  stdin_open?: boolean;
  stop_grace_period?: string;
  stop_signal?: string;
  sysctls?: Record<string, string>;
  tty?: boolean;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  user?: string;
  volumes?: MountModel[];
  working_dir?: string;
}

export interface NetworkModel {
  name: string;
  driver?: string;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  ipam?: { config: Array<{ subnet: string }> };
  labels?: Record<string, string>;
}

export interface VolumeModel {
  name: string;
  driver?: string;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface FileObjectModel {
  name: string;
  file?: string;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface ComposeModel {
  name: string;
  services: Record<string, ServiceModel>;
  networks: Record<string, NetworkModel>;
  volumes: Record<string, VolumeModel>;
  secrets: Record<string, FileObjectModel>;
  configs: Record<string, FileObjectModel>;
}
