import { useState } from 'preact/hooks';
import { setToken } from '../lib/api.js';

/** Asks for the collector's QUERY_TOKEN once; it is kept in this browser's localStorage. */
export function TokenPrompt({ message, onSaved }: { message: string; onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <div class="modal-backdrop">
      <form
        class="card modal"
        data-testid="token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          setToken(value.trim());
          onSaved();
        }}
      >
        <h3>Access token</h3>
        <p>{message} Enter the collector's <code>QUERY_TOKEN</code>; it is kept in this browser only.</p>
        <input type="password" name="token" autoFocus value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} placeholder="token" />
        <button type="submit">Save</button>
      </form>
    </div>
  );
}
