-- Authentication is served from a per-process cache (src/identity/auth-cache.ts). Every change
-- that can alter who a credential is, or whether it still works, notifies channel
-- `gateway_auth` at commit, and every instance drops its cache on the notification. Statement
-- triggers: one notification per statement however many rows it touches. `UPDATE OF` lists the
-- columns authentication reads, so bookkeeping writes (last_used_at) notify nobody.
CREATE OR REPLACE FUNCTION gateway_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gateway_auth', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_auth_change
  AFTER UPDATE OF secret_hash, scopes, can_act_for_users, expires_at, revoked_at, rate_limit_per_minute,
    user_id, organization_id OR DELETE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER users_auth_change
  AFTER UPDATE OF display_name, email, role, active, organization_id OR DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER organizations_auth_change
  AFTER UPDATE OF name OR DELETE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER groups_auth_change
  AFTER UPDATE OF permissions, organization_id OR DELETE ON groups
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER group_members_auth_change
  AFTER INSERT OR UPDATE OR DELETE ON group_members
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER refresh_tokens_auth_change
  AFTER UPDATE OF revoked_at, user_id OR DELETE ON refresh_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();

CREATE TRIGGER access_tokens_auth_change
  AFTER UPDATE OF revoked_at, expires_at OR DELETE ON access_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_auth();
