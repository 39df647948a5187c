// Asynchronous Elastic Averaging SGD: every tau steps a worker sends x_i; the center moves toward it and the
// worker is answered with the center as it was, so that its pull x_i - alpha (x_i - x~) and the center's move
// x~ + alpha (x_i - x~) are the two halves of one symmetric elastic exchange.
import { easgdCenterUpdate } from '../../shared/reference/easgd.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';
import { PushRounds } from './push_exchange.ts';

export class Easgd implements BaselineAlgorithm {
  private readonly rounds: PushRounds;

  constructor(
    private readonly host: AlgorithmHost,
    private center: Float32Array,
  ) {
    this.rounds = new PushRounds(host);
  }

  get weights(): Float32Array {
    return this.center;
  }

  /** One exchange with a worker's weights (their upload already counted); returns the center it pulls toward,
   *  counted as sent, and closes the exchange's round. */
  onPush(workerId: string, x: Float32Array, step: number): { center: Float32Array; version: number } {
    const before = this.center;
    this.center = Float32Array.from(easgdCenterUpdate(before, [x], this.host.hyper.alpha!));
    return { center: before, version: this.rounds.answered(workerId, this.center, step, 'center', before.byteLength) };
  }

  membershipChanged(): void {}

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('easgd asks for no uploads: workers push every tau steps');
  }
}
