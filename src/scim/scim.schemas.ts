// The SCIM schemas this server speaks (RFC 7643 §4, §7, §8.7): the attribute definitions that
// drive filtering, sorting, PATCH paths and projection, and the discovery documents built from
// them (/Schemas, /ResourceTypes, /ServiceProviderConfig).

export const URN = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  enterprise: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  searchRequest: "urn:ietf:params:scim:api:messages:2.0:SearchRequest",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

export const SCIM_PREFIX = "/api/v1/scim/v2";
export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";
/** The most resources one list page returns (ServiceProviderConfig's filter.maxResults). */
export const MAX_RESULTS = 200;
export const DEFAULT_COUNT = 100;

export type AttributeType = "string" | "boolean" | "dateTime" | "reference" | "complex";

export type AttributeDef = {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned: "always" | "never" | "default" | "request";
  uniqueness: "none" | "server" | "global";
  subAttributes?: AttributeDef[];
  canonicalValues?: string[];
  referenceTypes?: string[];
};

export type SchemaDef = {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
  /**
   * Attributes outside `attributes` are kept as sent (the enterprise extension is stored whole),
   * so paths naming them are valid and compare as case-insensitive strings.
   */
  open: boolean;
};

export type ResourceSchema = {
  name: "User" | "Group";
  endpoint: "/Users" | "/Groups";
  description: string;
  core: SchemaDef;
  extensions: SchemaDef[];
  /** RFC 7643 attributes this server accepts and discards (lower-cased names). */
  discarded: ReadonlySet<string>;
};

type Options = Partial<Omit<AttributeDef, "name" | "type" | "description">>;

function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    ...options,
  };
}

const str = (name: string, description: string, options: Options = {}) =>
  attr(name, "string", description, options);

function complex(name: string, description: string, subAttributes: AttributeDef[], options: Options = {}) {
  return attr(name, "complex", description, { ...options, subAttributes });
}

/** id, externalId and meta: common to every resource (RFC 7643 §3.1), not listed in /Schemas. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  str("id", "Unique identifier of the resource, assigned by the service provider.", {
    caseExact: true,
    mutability: "readOnly",
    returned: "always",
    uniqueness: "server",
  }),
  str("externalId", "Identifier of the resource in the provisioning client.", { caseExact: true }),
  complex(
    "meta",
    "Resource metadata.",
    [
      str("resourceType", "The resource's type.", { caseExact: true, mutability: "readOnly" }),
      attr("created", "dateTime", "When the resource was added.", { mutability: "readOnly" }),
      attr("lastModified", "dateTime", "When the resource was last changed.", { mutability: "readOnly" }),
      attr("location", "reference", "The URI of the resource.", {
        caseExact: true,
        mutability: "readOnly",
        referenceTypes: ["uri"],
      }),
      str("version", "The resource's weak ETag.", { caseExact: true, mutability: "readOnly" }),
    ],
    { mutability: "readOnly" },
  ),
];

const multiValuedMember = (valueDescription: string, extra: AttributeDef[] = []) => [
  str("value", valueDescription),
  str("display", "A human-readable name, primarily used for display purposes."),
  str("type", "A label indicating the attribute's function."),
  attr("primary", "boolean", "Whether this is the primary value."),
  ...extra,
];

const USER_SCHEMA: SchemaDef = {
  id: URN.user,
  name: "User",
  description: "User Account",
  open: false,
  attributes: [
    str("userName", "Unique identifier for the User; unique per organisation, case-insensitively.", {
      required: true,
      uniqueness: "server",
    }),
    complex("name", "The components of the user's real name.", [
      str("formatted", "The full name (given name and family name); read-only here."),
      str("familyName", "The family name of the User."),
      str("givenName", "The given name of the User."),
      str("fullName", "Same as formatted (kept from the documented contract); read-only here."),
    ]),
    str("displayName", "The name of the User, suitable for display to end-users."),
    attr("active", "boolean", "The User's administrative status; false refuses the user's API keys."),
    str("password", "Accepted and discarded: this server keeps no passwords.", {
      mutability: "writeOnly",
      returned: "never",
    }),
    complex(
      "emails",
      "E-mail addresses, all kept; the primary one is the user's e-mail.",
      multiValuedMember("The e-mail address.", []).map((a) =>
        a.name === "type" ? { ...a, canonicalValues: ["work", "home", "other"] } : a,
      ),
      { multiValued: true },
    ),
    complex(
      "groups",
      "The groups the user belongs to; change membership through the Group resource.",
      [
        str("value", "The id of the group.", { mutability: "readOnly" }),
        attr("$ref", "reference", "The URI of the group.", {
          mutability: "readOnly",
          referenceTypes: ["Group"],
        }),
        str("display", "The group's displayName.", { mutability: "readOnly" }),
        str("type", "direct (nested groups are not supported).", {
          mutability: "readOnly",
          canonicalValues: ["direct"],
        }),
      ],
      { multiValued: true, mutability: "readOnly" },
    ),
    complex("roles", "Roles as the provisioning client sent them.", multiValuedMember("The role."), {
      multiValued: true,
    }),
  ],
};

const ENTERPRISE_SCHEMA: SchemaDef = {
  id: URN.enterprise,
  name: "EnterpriseUser",
  description: "Enterprise User (stored as sent; attributes beyond these are kept too)",
  open: true,
  attributes: [
    str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
    str("costCenter", "Identifies the name of a cost center."),
    str("organization", "Identifies the name of an organization."),
    str("division", "Identifies the name of a division."),
    str("department", "Identifies the name of a department."),
    complex("manager", "The User's manager.", [
      str("value", "The id of the manager's User."),
      attr("$ref", "reference", "The URI of the manager's User.", { referenceTypes: ["User"] }),
      str("displayName", "The displayName of the manager.", { mutability: "readOnly" }),
    ]),
    attr("superUser", "boolean", "Kept as sent (documented contract)."),
    str("userStatus", "Kept as sent (documented contract)."),
    attr("external", "boolean", "Kept as sent (documented contract)."),
  ],
};

const GROUP_SCHEMA: SchemaDef = {
  id: URN.group,
  name: "Group",
  description: "Group",
  open: false,
  attributes: [
    str("displayName", "A human-readable name for the Group; unique per organisation.", {
      required: true,
      uniqueness: "server",
    }),
    complex(
      "members",
      "A list of members of the Group (users only).",
      [
        str("value", "The id of the member User.", { mutability: "immutable" }),
        attr("$ref", "reference", "The URI of the member User.", {
          mutability: "immutable",
          referenceTypes: ["User"],
        }),
        str("display", "The member's displayName.", { mutability: "readOnly" }),
        str("type", "The type of the member: USER (seed 003; accepted in any case).", {
          mutability: "immutable",
          canonicalValues: ["USER"],
        }),
      ],
      { multiValued: true },
    ),
    str("description", "A description of the group (documented contract)."),
    attr(
      "external",
      "boolean",
      "Whether the group mirrors one in an external directory (documented contract).",
    ),
  ],
};

export const USER_RESOURCE: ResourceSchema = {
  name: "User",
  endpoint: "/Users",
  description: "User Account",
  core: USER_SCHEMA,
  extensions: [ENTERPRISE_SCHEMA],
  discarded: new Set(
    [
      "nickName",
      "profileUrl",
      "title",
      "userType",
      "preferredLanguage",
      "locale",
      "timezone",
      "phoneNumbers",
      "ims",
      "photos",
      "addresses",
      "entitlements",
      "x509Certificates",
      "password",
    ].map((name) => name.toLowerCase()),
  ),
};

export const GROUP_RESOURCE: ResourceSchema = {
  name: "Group",
  endpoint: "/Groups",
  description: "Group",
  core: GROUP_SCHEMA,
  extensions: [],
  discarded: new Set(),
};

export const RESOURCES = [USER_RESOURCE, GROUP_RESOURCE];
export const SCHEMAS = [USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA];

function schemaDocument(schema: SchemaDef, base: string) {
  return {
    schemas: [URN.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes,
    meta: { resourceType: "Schema", location: `${base}/Schemas/${schema.id}` },
  };
}

function resourceTypeDocument(resource: ResourceSchema, base: string) {
  return {
    schemas: [URN.resourceType],
    id: resource.name,
    name: resource.name,
    endpoint: resource.endpoint,
    description: resource.description,
    schema: resource.core.id,
    ...(resource.extensions.length > 0
      ? { schemaExtensions: resource.extensions.map((e) => ({ schema: e.id, required: false })) }
      : {}),
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${resource.name}` },
  };
}

export function schemaDocuments(base: string) {
  return SCHEMAS.map((schema) => schemaDocument(schema, base));
}

export function schemaDocumentById(id: string, base: string) {
  const schema = SCHEMAS.find((s) => s.id.toLowerCase() === id.toLowerCase());
  return schema ? schemaDocument(schema, base) : null;
}

export function resourceTypeDocuments(base: string) {
  return RESOURCES.map((resource) => resourceTypeDocument(resource, base));
}

export function resourceTypeDocumentById(id: string, base: string) {
  const resource = RESOURCES.find((r) => r.name.toLowerCase() === id.toLowerCase());
  return resource ? resourceTypeDocument(resource, base) : null;
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: `${base.replace(/\/api\/v1\/scim\/v2$/, "")}/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "An API key of the organisation with the scim scope: Authorization: Bearer <key>",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

/** A list of resources as RFC 7644 §3.4.2 shapes it. */
export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: [URN.listResponse],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
