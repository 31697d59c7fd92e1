import { useEffect, useRef, useState } from "react";

/**
 * Props for a box that may scroll sideways (a wide table or chart on a phone). While it actually scrolls, it is a
 * focusable region named by `labelledBy`, so keyboard users can scroll it with the arrow keys (WCAG 2.1.1; axe's
 * scrollable-region-focusable). While everything fits it stays a plain box: no useless tab stop, no extra landmark.
 */
export function useScrollRegion<T extends HTMLElement>(labelledBy: string | undefined) {
  const ref = useRef<T>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    if (typeof ResizeObserver === "undefined") return;
    // The box changes with the viewport, its content (the first child) with the data.
    const observer = new ResizeObserver(check);
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return scrolls
    ? { ref, tabIndex: 0, role: labelledBy ? "region" : undefined, "aria-labelledby": labelledBy }
    : { ref };
}
