import { execFileSync } from 'node:child_process';
import { cpus, platform, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendInfo } from '../backend';
import * as tf from '../tf';
import type { RunEnvironment } from '../core/record';

let gitCommitCache: string | null | undefined;

function gitCommit(): string | null {
  if (gitCommitCache !== undefined) return gitCommitCache;
  try {
    gitCommitCache = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: join(__dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    gitCommitCache = null;
  }
  return gitCommitCache;
}

export function mixbenchVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function environment(backend: BackendInfo): RunEnvironment {
  const cpu = cpus();
  return {
    node: process.version,
    tfjs: tf.version_core,
    backend: backend.name,
    backendPackage: backend.package,
    // tensorflow: the intra-op pool size when a sweep set it (--threads, or cores ÷ --jobs), else null (libtensorflow's default).
    threads: backend.threads ?? (Number(process.env.TF_NUM_INTRAOP_THREADS) || null),
    device: backend.device,
    adapter: backend.adapter,
    platform: `${platform()}-${arch()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    gitCommit: gitCommit(),
    mixbench: mixbenchVersion(),
  };
}
