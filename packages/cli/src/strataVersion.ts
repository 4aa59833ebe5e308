/** The version `strata --version` and `strata version` print. */
export const STRATA_VERSION = "0.1.0";
