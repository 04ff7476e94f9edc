// Who is asking: the organisation, the user and the key's scopes of one request. Built once per
// request by authenticate.ts (or for the admin CLI and the demo seed by Viewer.system); services
// ask it before they act.
import { ForbiddenError } from "../errors.js";
import { ALL_SCOPES, type Scope } from "./scopes.js";

export type ViewerOrganization = { id: string; name: string };
export type ViewerUser = { id: string; displayName: string; email: string; role: string };

export class Viewer {
  constructor(
    readonly organization: ViewerOrganization,
    /** The user actions are attributed to: the key's user, or the X-Forwarded-User it acts for. */
    readonly user: ViewerUser,
    readonly scopes: readonly string[],
    readonly apiKeyId: string | null,
    /** The raw X-Forwarded-User value, kept for audit attribution. */
    readonly forwardedUser: string | null = null,
    /** The key's own requests-per-window budget; null means the configured default. */
    readonly rateLimitPerMinute: number | null = null,
  ) {}

  /** A viewer with every scope, for the admin CLI and start-up seeding. */
  static system(organization: ViewerOrganization, user: ViewerUser): Viewer {
    return new Viewer(organization, user, [ALL_SCOPES], null);
  }

  can(scope: Scope): boolean {
    return this.scopes.includes(ALL_SCOPES) || this.scopes.includes(scope);
  }

  require(scope: Scope): void {
    if (!this.can(scope)) {
      throw new ForbiddenError(`This API key lacks the scope "${scope}"`, { requiredScope: scope });
    }
  }
}
