/** One benchmark scenario: a measured value, the baseline measured in the same run, and their ratio. */
export interface ScenarioResult {
  name: string;
  /** What the ratio means, e.g. "responses/s ÷ raw RSA signatures/s". */
  ratioMeaning: string;
  ratio: number;
  value: number;
  unit: string;
  baseline: number;
  baselineUnit: string;
  /** The target and whether this run met it (informational: benchmarks have no thresholds in CI). */
  target: string;
  met: boolean;
  /**
   * For scenarios with a server process: baseline CPU per operation ÷ the server's CPU per
   * operation (from /proc), the ratio the load generator sharing the cores disturbs least.
   */
  cpuRatio?: number;
  extra?: Record<string, number | string>;
}

export interface ScenarioOptions {
  quick: boolean;
  /** `--memory-users N`: the memory scenario's user count instead of 1,000,000 (20,000 with --quick). */
  memoryUsers?: number | undefined;
}

export interface Scenario {
  name: string;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}
