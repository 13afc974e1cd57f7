import { randomBytes } from "node:crypto";
import type * as http from "node:http";
import { keyMatches } from "../local-api/api-key";

const COOKIE = "warecast_session";
/** A dashboard session lasts a working day; after that, log in again. */
const SESSION_SECONDS = 12 * 3600;
/** Login form posts are tiny; anything bigger is not one. */
const MAX_FORM_BYTES = 4096;

/**
 * Who may read the dashboard's config (and with it the API key), as notebook servers do it: `warecast serve`
 * prints a login URL with a one-time token; opening it sets an HttpOnly, SameSite=Strict session cookie and
 * spends the token. Another browser logs in with the API key itself (a form posts it, so it never sits in a
 * URL). Sessions live in this process only: a restart logs everyone out.
 */
export class DashboardLogin {
  private token: string | undefined = randomBytes(24).toString("base64url");
  private readonly sessions = new Map<string, number>();

  constructor(private readonly apiKey: string) {}

  /** The one-time login path (`/login?token=…`), until it is used. */
  get loginPath(): string | undefined {
    return this.token === undefined ? undefined : `/login?token=${this.token}`;
  }

  /** True when the request carries a live session cookie. */
  hasSession(req: http.IncomingMessage): boolean {
    const id = cookie(req, COOKIE);
    const expires = id === undefined ? undefined : this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.sessions.delete(id!);
    return false;
  }

  /** GET or POST /login; true when handled. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== "/login") return false;
    if (req.method === "GET") {
      const given = url.searchParams.get("token") ?? undefined;
      if (this.token !== undefined && given !== undefined && keyMatches(given, this.token)) {
        this.token = undefined;
        this.startSession(res);
      } else if (this.hasSession(req)) redirectHome(res);
      else loginForm(res, given === undefined ? "" : "This login link was used already or is not valid.");
      return true;
    }
    if (req.method === "POST") {
      const form = await readForm(req);
      if (form !== undefined && keyMatches(form.get("key") ?? undefined, this.apiKey)) this.startSession(res);
      else loginForm(res, "That is not the API key of this server.");
      return true;
    }
    res.writeHead(405, { Allow: "GET, POST", "Content-Type": "text/plain; charset=utf-8" });
    res.end("Use GET or POST on /login.\n");
    return true;
  }

  private startSession(res: http.ServerResponse): void {
    const id = randomBytes(24).toString("base64url");
    this.sessions.set(id, Date.now() + SESSION_SECONDS * 1000);
    res.writeHead(303, {
      Location: "/",
      "Set-Cookie": `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_SECONDS}`,
      "Cache-Control": "no-store",
    });
    res.end();
  }
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function redirectHome(res: http.ServerResponse): void {
  res.writeHead(303, { Location: "/", "Cache-Control": "no-store" });
  res.end();
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | undefined> {
  let body = "";
  for await (const chunk of req) {
    body += (chunk as Buffer).toString("utf8");
    if (body.length > MAX_FORM_BYTES) return undefined;
  }
  return new URLSearchParams(body);
}

/** The login page: a form for the API key (403: no session was started). */
function loginForm(res: http.ServerResponse, why: string): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warecast: log in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto">
<h1>Warecast dashboard</h1>
${why ? `<p role="alert">${why}</p>` : ""}
<p>Open the login link that <code>warecast serve</code> printed, or paste the API key
(<code>cat .warecast/api-key</code>):</p>
<form method="post" action="/login">
<input name="key" type="password" autocomplete="off" required size="40" aria-label="API key">
<button type="submit">Log in</button>
</form>
</body></html>
`;
  res.writeHead(403, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(html);
}
