import { useState } from 'preact/hooks';

/** Copies `text` to the clipboard, saying so for a moment. */
export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
    setTimeout(() => setDone(null), 1500);
  };
  return (
    <button
      type="button"
      class="copy"
      onClick={copy}
      title={`copy ${props.text}`}
      aria-label={props.label ?? 'copy'}
    >
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
