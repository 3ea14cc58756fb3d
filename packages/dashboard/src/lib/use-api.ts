import { useContext, useEffect, useState } from 'preact/hooks';
import { createContext } from 'preact';
import { UnauthorizedError } from './api.js';

/** Lets any view report that the collector wants a token; the app then shows the prompt. */
export const AuthContext = createContext<(message: string) => void>(() => {});

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Runs `load` whenever `key` changes; keeps the last data while reloading (no flicker). */
export function useApi<T>(load: () => Promise<T>, key: string): ApiState<T> {
  const needToken = useContext(AuthContext);
  const [state, setState] = useState<ApiState<T>>({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => {
        if (!live) return;
        if (e instanceof UnauthorizedError) needToken(e.message);
        setState((s) => ({ data: s.data, error: e instanceof Error ? e.message : String(e), loading: false }));
      },
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}
