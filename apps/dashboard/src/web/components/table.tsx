import type { ComponentChildren } from 'preact';

/** A table with one header row; the rows are the children. A wide one scrolls inside the page. */
export function Table(props: { class?: string; head: ComponentChildren[]; children: ComponentChildren }) {
  return (
    <div class="table-scroll">
      <table class={props.class}>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
