// Boots the self-hosted GraphiQL page. Kept in a file of its own, not inline,
// so the page works under a Content-Security-Policy of `script-src 'self'`.
// Configuration comes from data attributes on #graphiql (see graphiql.py).
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  var endpoint = root.dataset.endpoint || "/graphql";
  var defaultQuery = root.dataset.defaultQuery || "";
  // The example tabs (graphiql_examples.py) and the header template each tab starts with.
  var defaultHeaders = root.dataset.defaultHeaders || "";
  var placeholder = root.dataset.tokenPlaceholder || "<token>";
  var defaultTabs;
  try {
    defaultTabs = JSON.parse(root.dataset.tabs || "null") || undefined;
  } catch (err) {
    defaultTabs = undefined;
  }
  // GraphiQL 3 fills the first tab's query from defaultTabs but not its variables; give them
  // on a first visit only (later visits restore the user's own tabs from localStorage).
  var firstVisit = true;
  try {
    firstVisit = !window.localStorage.getItem("graphiql:tabState");
  } catch (err) {
    firstVisit = true; // storage refused (private mode): GraphiQL starts afresh as well
  }
  var firstVariables = firstVisit && defaultTabs ? defaultTabs[0].variables : undefined;

  // Same-origin GraphQL endpoint only: the fetcher POSTs JSON to it.
  var url = new URL(endpoint, window.location.href);
  if (url.origin !== window.location.origin) {
    root.textContent = "GraphiQL: endpoint must be on this origin.";
    return;
  }

  // Forward a CSRF cookie when one is set (as Strawberry's own page does).
  var headers = {};
  var csrfToken = window.Cookies ? window.Cookies.get("csrftoken") : undefined;
  if (csrfToken) {
    headers["x-csrftoken"] = csrfToken;
  }

  // createGraphiQLFetcher from @graphiql/toolkit, exposed on the UMD global.
  // No subscriptionUrl: queries and mutations are plain JSON POSTs.
  var baseFetcher = GraphiQL.createFetcher({ url: url.href, headers: headers });

  // A header still holding the template's placeholder is not sent: loading the page (GraphiQL
  // fetches the schema at once) must not count as a failed login of this address.
  function withoutPlaceholders(opts) {
    if (!opts || !opts.headers) {
      return opts;
    }
    var sent = {};
    Object.keys(opts.headers).forEach(function (name) {
      if (String(opts.headers[name]).indexOf(placeholder) === -1) {
        sent[name] = opts.headers[name];
      }
    });
    return Object.assign({}, opts, { headers: sent });
  }
  var fetcher = function (params, opts) {
    return baseFetcher(params, withoutPlaceholders(opts));
  };

  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultTabs: defaultTabs,
      defaultHeaders: defaultHeaders,
      variables: firstVariables,
      plugins: [explorer],
      // Header editor on and open, so `Authorization: Bearer ...` can be pasted.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Do not keep tokens in localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
