import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { qrCacheSize, qrSvg } from "./qr.server";

/** Rasterises the path back into a grid (each `M x y h w v1 h-w z` is one run of dark modules). */
function grid(path: string, size: number): boolean[][] {
  const g = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const m of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, w] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let i = 0; i < w; i++) g[y]![x + i] = true;
  }
  return g;
}

describe("qrSvg", () => {
  it("draws exactly the modules of the QR code, inside a 4-module quiet zone", () => {
    const text = "https://rewards.example.com/r/AB7KQ9";
    const { size, path } = qrSvg(text);
    const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
    const n = qr.modules.size;
    expect(size).toBe(n + 8);
    const g = grid(path, size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const inside = r >= 4 && c >= 4 && r < n + 4 && c < n + 4;
        const expected = inside ? Boolean(qr.modules.data[(r - 4) * n + (c - 4)]) : false;
        expect(g[r]![c], `module ${r},${c}`).toBe(expected);
      }
    }
  });

  it("grows with the text", () => {
    expect(qrSvg(`https://example.com/r/${"A".repeat(120)}`).size).toBeGreaterThan(qrSvg("https://example.com/r/AB").size);
  });

  it("encodes a link once and keeps a bounded number of codes", () => {
    const text = "https://rewards.example.com/r/CACHE1";
    expect(qrSvg(text)).toBe(qrSvg(text));
    for (let i = 0; i < 600; i++) qrSvg(`https://rewards.example.com/r/C${i}`);
    expect(qrCacheSize()).toBe(500);
  });
});
