/** Defaults of the wide layout: those of the bundled pasta store (one Italian shop). */
export const WIDE_DEFAULTS = { warehouseId: "IT-PASTA-1", timeZone: "Europe/Rome" } as const;
