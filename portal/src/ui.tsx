import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A page: its heading gets focus when the page opens (screen readers announce the new page,
 * keyboard users start from it) and the document title follows it.
 */
export function Page(props: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · CareBridge`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <>
      <h1 tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children}
    </>
  );
}

/** An error the user must see: announced at once. */
export function Alert(props: { message: string | null }) {
  if (!props.message) return null;
  return (
    <p class="alert" role="alert">
      {props.message}
    </p>
  );
}

/** A success or progress message: announced politely. The region stays in the page so it is announced. */
export function Status(props: { message: string | null }) {
  return (
    <p class="status" role="status">
      {props.message ?? ''}
    </p>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}
