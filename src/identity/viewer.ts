// Who is asking: the organisation, the user and the credential's scopes of one request. Built
// once per request by authenticate.ts (or for the admin CLI and the demo seed by Viewer.system);
// services ask it before they act.
import { ForbiddenError } from "../errors.js";
import { ALL_SCOPES, type Scope } from "./scopes.js";

export type ViewerOrganization = { id: string; name: string };
export type ViewerUser = { id: string; displayName: string; email: string; role: string };
/** The access token of a request made with `PublicApi`/`PublicApiV2` (docs/tokens.md). */
export type ViewerAccessToken = { id: string; familyId: string; apiVersion: 1 | 2 };

export class Viewer {
  constructor(
    readonly organization: ViewerOrganization,
    /** The user actions are attributed to: the key's user, or the X-Forwarded-User it acts for. */
    readonly user: ViewerUser,
    /** An API key's scopes, or for an access token the union of its user's groups' permissions. */
    readonly scopes: readonly string[],
    readonly apiKeyId: string | null,
    /** The raw X-Forwarded-User value, kept for audit attribution. */
    readonly forwardedUser: string | null = null,
    /** The key's own requests-per-window budget; null means the configured default. */
    readonly rateLimitPerMinute: number | null = null,
    /** Set when the request authenticated with an access token instead of an API key. */
    readonly accessToken: ViewerAccessToken | null = null,
  ) {}

  /** A viewer with every scope, for the admin CLI and start-up seeding. */
  static system(organization: ViewerOrganization, user: ViewerUser): Viewer {
    return new Viewer(organization, user, [ALL_SCOPES], null);
  }

  /**
   * Whose rate-limit budget a request spends: its API key's, or its token family's (every access
   * token a refresh token and its successors mint shares one budget, so renewing does not reset
   * it). Null for keyless viewers (CLI, seed), which are not limited.
   */
  get rateLimitKey(): string | null {
    if (this.apiKeyId) return this.apiKeyId;
    return this.accessToken ? `token-family:${this.accessToken.familyId}` : null;
  }

  can(scope: Scope): boolean {
    return this.scopes.includes(ALL_SCOPES) || this.scopes.includes(scope);
  }

  /**
   * Nobody hands out what they do not hold: the scopes of a new API key, the permissions of a
   * group, and the permissions a user gains by joining a group (or holds when a refresh token is
   * made for it) must all be the caller's own. Otherwise a `scim` or `org:admin` credential could
   * raise itself to `*`.
   */
  requireGrantable(scopes: readonly string[]): void {
    if (this.scopes.includes(ALL_SCOPES)) return;
    const missing = [...new Set(scopes)].filter((scope) => !this.scopes.includes(scope));
    if (missing.length > 0) {
      throw new ForbiddenError(
        `You cannot grant permissions you do not hold yourself: ${missing.join(", ")}`,
        { notHeld: missing },
      );
    }
  }

  require(scope: Scope): void {
    if (!this.can(scope)) {
      throw new ForbiddenError(
        this.accessToken
          ? `This access token's permission groups do not grant "${scope}"`
          : `This API key lacks the scope "${scope}"`,
        { requiredScope: scope },
      );
    }
  }
}
