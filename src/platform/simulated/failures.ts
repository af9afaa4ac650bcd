/** Deterministic failures of the simulated platform. */

/** An image whose tag ends in -broken never becomes ready. */
export function isBrokenImage(image: string): boolean {
  return /-broken$/.test(image.split(/[:@]/).at(-1) ?? '');
}
