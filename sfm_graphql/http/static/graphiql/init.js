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
  // No subscriptionUrl: queries and mutations are plain JSON POSTs; subscriptions take the
  // WebSocket below, which can carry the headers editor's credentials.
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

  // Subscriptions: graphql-transport-ws on the same path and host, ws: or wss: as the page.
  var wsUrl = new URL(url.href);
  wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  // The type of the operation GraphiQL is about to run ("query", "mutation", "subscription"),
  // or null when the document holds no such operation (the POST then reports the error).
  function operationType(documentAST, operationName) {
    var operations = ((documentAST && documentAST.definitions) || []).filter(function (node) {
      return node.kind === "OperationDefinition";
    });
    var chosen = operations.filter(function (node) {
      return operationName ? node.name && node.name.value === operationName : true;
    });
    return chosen.length === 1 ? chosen[0].operation : null;
  }

  // What the result pane shows when a subscription fails: GraphQL errors as the server sent them,
  // a refused connection (the server closes with 4403 when the credentials are not valid) or a
  // socket that could not be opened, in the shape of a GraphQL response.
  function failure(err) {
    if (Array.isArray(err)) {
      return { errors: err };
    }
    if (err && typeof err.code === "number" && "reason" in err) {
      var refused = err.code === 4403;
      return {
        errors: [
          {
            message: refused
              ? "The server refused the WebSocket connection (4403 " + (err.reason || "Forbidden") +
                "): the credentials in the Headers tab are not valid"
              : "The WebSocket closed (" + err.code + (err.reason ? " " + err.reason : "") + ")",
            extensions: { closeCode: err.code, closeReason: err.reason || null },
          },
        ],
      };
    }
    var message = err && err.message ? err.message : "the WebSocket to " + wsUrl.href + " failed";
    return { errors: [{ message: message }] };
  }

  // One graphql-ws client per subscription, so its connection_init payload is the headers the
  // editor holds when the user presses run (the server reads Authorization / X-API-Key there,
  // as a browser cannot set headers on the WebSocket upgrade); it is closed when the
  // subscription ends or the user stops it. GraphiQL subscribes to the returned observable.
  function subscribeOverWebSocket(params, connectionHeaders) {
    return {
      subscribe: function (observer) {
        var client = graphqlWs.createClient({
          url: wsUrl.href,
          lazy: true,
          connectionParams: connectionHeaders,
          // A refusal (4xxx) stands until the headers change; retry only a dropped network.
          retryAttempts: 2,
          shouldRetry: function (err) {
            return !(err && typeof err.code === "number" && err.code >= 4000 && err.code < 5000);
          },
        });
        var closed = false;
        function close() {
          if (!closed) {
            closed = true;
            client.dispose();
          }
        }
        var stop = client.subscribe(
          { query: params.query, variables: params.variables, operationName: params.operationName },
          {
            next: function (result) {
              observer.next(result);
            },
            error: function (err) {
              observer.next(failure(err));
              observer.complete();
              close();
            },
            complete: function () {
              observer.complete();
              close();
            },
          }
        );
        return {
          unsubscribe: function () {
            stop();
            close();
          },
        };
      },
    };
  }

  var fetcher = function (params, opts) {
    var sent = withoutPlaceholders(opts);
    if (operationType(opts && opts.documentAST, params.operationName) === "subscription") {
      return subscribeOverWebSocket(params, (sent && sent.headers) || {});
    }
    return baseFetcher(params, sent);
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
