// GraphiQL served entirely by us, so that it works without internet. The assets come from
// @graphql-yoga/render-graphiql (which would inline ~9 MB into every page); here they are
// split into cacheable files under /graphiql/ and the page only references them.
import { createHash } from "node:crypto";
import {
  css,
  editorWorkerService,
  favicon,
  graphqlWorker,
  js,
  jsonWorker,
} from "@graphql-yoga/render-graphiql/graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

export const GRAPHIQL_ASSET_PREFIX = "/graphiql/";

const version = createHash("sha256").update(js).digest("hex").slice(0, 12);

const initScript = `
(function () {
  var base = ${JSON.stringify(GRAPHIQL_ASSET_PREFIX)};
  var workers = {
    editorWorkerService: base + "editor.worker.js?v=${version}",
    json: base + "json.worker.js?v=${version}",
    graphql: base + "graphql.worker.js?v=${version}"
  };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) { return workers[label] || workers.editorWorkerService; }
  };
})();
`;

const renderScript = `
YogaGraphiQL.renderYogaGraphiQL(
  document.querySelector("#root"),
  JSON.parse(document.getElementById("graphiql-options").textContent)
);
`;

export type GraphiQLAsset = { body: string | Buffer; contentType: string };

export const graphiqlAssets: Record<string, GraphiQLAsset> = {
  "favicon.ico": {
    body: Buffer.from(favicon.replace(/^data:[^,]*base64,/, ""), "base64"),
    contentType: "image/x-icon",
  },
  "graphiql.css": { body: css, contentType: "text/css; charset=utf-8" },
  "graphiql.js": { body: js, contentType: "text/javascript; charset=utf-8" },
  "init.js": { body: initScript, contentType: "text/javascript; charset=utf-8" },
  "render.js": { body: renderScript, contentType: "text/javascript; charset=utf-8" },
  "editor.worker.js": { body: editorWorkerService, contentType: "text/javascript; charset=utf-8" },
  "json.worker.js": { body: jsonWorker, contentType: "text/javascript; charset=utf-8" },
  "graphql.worker.js": { body: graphqlWorker, contentType: "text/javascript; charset=utf-8" },
};

/** JSON inside <script type="application/json"> must not be able to close the tag. */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

export function renderGraphiQLPage(options: GraphiQLOptions): string {
  const v = `?v=${version}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${(options.title ?? "GraphiQL").replace(/[<>&"]/g, "")}</title>
    <link rel="icon" href="${GRAPHIQL_ASSET_PREFIX}favicon.ico${v}" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSET_PREFIX}graphiql.css${v}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${safeJson(options)}</script>
    <script src="${GRAPHIQL_ASSET_PREFIX}init.js${v}"></script>
    <script src="${GRAPHIQL_ASSET_PREFIX}graphiql.js${v}"></script>
    <script src="${GRAPHIQL_ASSET_PREFIX}render.js${v}"></script>
  </body>
</html>`;
}

export const DEFAULT_QUERY = `# Welcome! Every request needs an API key: open "Headers" below and set
#   {"Authorization": "Bearer <your key>"}
# The demo organisation's key is printed when the server first starts
# (or is BOOTSTRAP_API_KEY). Press the run button or Ctrl-Enter.
#
# Each module is a type of its own (docs/graph.md): contacts, their account,
# and that account's deals, with typed filters and ordering. Autocompletion
# (Ctrl-Space) shows your organisation's fields once the key is set.

query ContactsWithTheirAccountsDeals {
  contacts(first: 5, orderBy: [{ field: NAME, direction: ASC }]) {
    totalCount
    edges {
      node {
        name
        email
        status
        account {
          name
          industry
          dealsByAccount(first: 5) {
            aggregate { count sum { amount } }
            edges { node { name amount stage } }
          }
        }
      }
    }
  }
  viewer {
    organization { name }
    user { displayName }
  }
}
`;
