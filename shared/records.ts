// The run store's records as the REST API returns them: the server writes them, the dashboard reads them.

export interface WorkerMetric { t: number; workerId: string; machineId: string; step: number; loss: number; samplesPerSec: number; samples: number }
export interface LeaderMetric { t: number; kind: 'local' | 'global'; groupId: string; workerId: string; version: number; step: number; loss: number }
export interface EvalMetric { t: number; step: number; version: number; workerId: string; samples: number; testLoss: number; testAccuracy: number }
export interface RoundMetric { round: number; t: number; step: number; uploads: number; downloads: number; bytesUp: number; bytesDown: number }
export interface RunEvent { id: number; t: number; kind: string; workerId: string | null; message: string }
export interface WorkerRecord {
  workerId: string; machineId: string; adapter: Record<string, unknown>; firstSeen: number; lastSeen: number;
  bytesUp: number; bytesDown: number; malformed: number; quarantined: boolean;
}
export interface CheckpointInfo {
  id: number; t: number; step: number; round: number; version: number; workerId: string; final: boolean;
  testLoss: number | null; testAccuracy: number | null; bytes: number;
}
