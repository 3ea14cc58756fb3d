import { useState } from 'preact/hooks';
import { getToken, setToken } from './lib/api.js';
import { rangeParams } from './lib/range.js';
import { AuthContext } from './lib/use-api.js';
import { hrefFor, useRoute, VIEWS, type View } from './lib/url-state.js';
import { TokenPrompt } from './components/token.js';
import { Consumers } from './views/consumers.js';
import { LogExplorer } from './views/logs.js';
import { Mcp } from './views/mcp.js';
import { Overview } from './views/overview.js';

const RENDER: Record<View, (p: { params: Record<string, string>; reload: number }) => preact.JSX.Element> = {
  overview: Overview,
  consumers: Consumers,
  mcp: Mcp,
  logs: LogExplorer,
};

export function App() {
  const route = useRoute();
  const [authMessage, setAuthMessage] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const ViewComponent = RENDER[route.view];
  // The range travels between the views that chart one (the log explorer has its own bounds).
  const carried = route.view === 'logs' ? {} : rangeParams(route.params);
  return (
    <AuthContext.Provider value={(m) => setAuthMessage(m)}>
      <header class="top-bar">
        <span class="brand">db-log-pusher</span>
        <nav>
          {VIEWS.map((v) => (
            <a href={hrefFor(v.id, v.id === 'logs' ? {} : carried)} class={route.view === v.id ? 'active' : ''} data-testid={`nav-${v.id}`}>{v.label}</a>
          ))}
        </nav>
        <span class="spacer" />
        {getToken() && (
          <button class="link" onClick={() => { setToken(null); setReload((r) => r + 1); }} title="Forget the saved access token">
            forget token
          </button>
        )}
      </header>
      <main>
        <ViewComponent params={route.params} reload={reload} />
      </main>
      {authMessage && (
        <TokenPrompt
          message={authMessage}
          onSaved={() => {
            setAuthMessage(null);
            setReload((r) => r + 1);
          }}
        />
      )}
    </AuthContext.Provider>
  );
}
