import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium, installed by scripts/setup.sh --browser. */
export const CHROMIUM_PATH = process.env.WARECAST_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless Chromium that stays on this machine: background networking, component updates and sync are off, so
 * the only traffic is to the pages the test opens on 127.0.0.1. Playwright gives each launch a fresh profile.
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      ...extraArgs,
    ],
  });
}

/** Where tests save screenshots and other artefacts for a person to look at. */
export const ARTIFACTS_DIR = path.resolve(__dirname, "..", "..", "test-artifacts");
