import { useState } from 'preact/hooks';
import { getToken, setToken } from './api.js';
import { LogExplorer } from './logs.js';
import { Overview } from './overview.js';
import { TokenPrompt } from './token.js';
import { AuthContext } from './use-api.js';
import { hrefFor, useRoute } from './url-state.js';

export function App() {
  const route = useRoute();
  const [authMessage, setAuthMessage] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  return (
    <AuthContext.Provider value={(m) => setAuthMessage(m)}>
      <header class="top-bar">
        <span class="brand">db-log-pusher</span>
        <nav>
          <a href={hrefFor('overview', {})} class={route.view === 'overview' ? 'active' : ''}>Overview</a>
          <a href={hrefFor('logs', {})} class={route.view === 'logs' ? 'active' : ''}>Logs</a>
        </nav>
        <span class="spacer" />
        {getToken() && (
          <button class="link" onClick={() => { setToken(null); setReload((r) => r + 1); }} title="Forget the saved access token">
            forget token
          </button>
        )}
      </header>
      <main>
        {route.view === 'logs' ? <LogExplorer params={route.params} reload={reload} /> : <Overview params={route.params} reload={reload} />}
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
