// The check a new global leader must pass before its weights reach anyone: its claimed loss must hold on held-out data.

/** A claim passes when the measured held-out loss is within the margin of the claimed loss. */
export function claimHolds(claimed: number, measured: number, margin: { rel: number; abs: number }): boolean {
  return Number.isFinite(measured) && measured <= claimed * (1 + margin.rel) + margin.abs;
}
