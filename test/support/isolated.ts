// Integration tests' isolation: see infra/local/sandbox.ts.
export {
  baseConfig,
  isolatedConfig,
  isolatedRuntime,
  type Isolated,
  type LakeKind,
} from '../../infra/local/sandbox.ts';
