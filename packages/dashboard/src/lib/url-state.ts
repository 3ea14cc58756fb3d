/**
 * The app's state lives in the URL hash (`#/logs?model=gpt-4o&page=2`), so every view can be
 * bookmarked, shared and reloaded, and the browser's back button works.
 */
import { useEffect, useState } from 'preact/hooks';

/** The views, in the order of the top bar; the first is the default (`#/`). */
export const VIEWS = [
  { id: 'overview', label: 'Overview' },
  { id: 'consumers', label: 'Consumers' },
  { id: 'mcp', label: 'MCP' },
  { id: 'logs', label: 'Logs' },
] as const;
export type View = (typeof VIEWS)[number]['id'];

export interface Route {
  view: View;
  params: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path, query = ''] = h.split('?', 2);
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) if (v !== '') params[k] = v;
  const name = path.replace(/^\/+/, '').split('/')[0];
  const view = VIEWS.find((v) => v.id === name)?.id ?? 'overview';
  return { view, params };
}

export function hrefFor(view: Route['view'], params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return `#/${view === 'overview' ? '' : view}${s ? `?${s}` : ''}`;
}

export function navigate(view: Route['view'], params: Record<string, string | undefined>, replace = false): void {
  const href = hrefFor(view, params);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    window.addEventListener('popstate', on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('popstate', on);
    };
  }, []);
  return route;
}
