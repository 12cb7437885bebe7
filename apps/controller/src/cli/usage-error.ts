/** A mistake in the command line itself: reported with the usage text, exit 1. */
export class UsageError extends Error {}
