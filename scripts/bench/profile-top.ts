// Reads a V8 CPU profile (node --cpu-prof) and names where the time went: the top functions by
// self time, and the self time of every sample attributed to the nearest frame of our code
// (src/, scripts/) above it, so that library and runtime time is charged to the caller that spent it.
// Usage: npx tsx scripts/bench/profile-top.ts <file.cpuprofile> [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which samples count, in ms before the profile's end (the process's exit): e.g. the load's span, not the boot. */
export interface Window {
  fromEndMs: number;
  toEndMs: number;
}

export interface Share {
  what: string;
  share: number;
}

const ownCode = (node: ProfileNode) =>
  /\/(src|scripts)\//.test(node.callFrame.url) && !node.callFrame.url.includes('/node_modules/') && node.callFrame.functionName !== '__name';
const shortUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(src|scripts)\//, '$1/');
const frameName = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
};

export function summarize(profile: CpuProfile, top = 25, window?: Window): { selfTime: Share[]; byOwnFrame: Share[]; byPackage: Share[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: charge it to that sample's node.
  const from = window ? profile.endTime - window.fromEndMs * 1000 : -Infinity;
  const to = window ? profile.endTime - window.toEndMs * 1000 : Infinity;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from && at <= to) weight.set(id, (weight.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let total = 0;
  const self = new Map<string, number>();
  const own = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, micros] of weight) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name !== '(idle)') {
        self.set(name, (self.get(name) ?? 0) + micros);
        own.set(name, (own.get(name) ?? 0) + micros);
        pkg.set(name, (pkg.get(name) ?? 0) + micros);
        total += micros;
      }
      continue;
    }
    total += micros;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + micros);
    let up: ProfileNode | undefined = node;
    while (up && !ownCode(up)) up = byId.get(parent.get(up.id) ?? -1);
    const ownName = up ? frameName(up) : '(outside our code: runtime, sockets, timers)';
    own.set(ownName, (own.get(ownName) ?? 0) + micros);
    const url = node.callFrame.url;
    const where = /\/node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (ownCode(node) ? 'our code' : url.startsWith('node:') ? 'node core (JS)' : '(native: V8 builtins, syscalls)');
    pkg.set(where, (pkg.get(where) ?? 0) + micros);
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([what, micros]) => ({ what, share: Math.round((1000 * micros) / total) / 10 }));
  return { selfTime: rank(self), byOwnFrame: rank(own), byPackage: rank(pkg), totalMs: Math.round(total / 1000) };
}

export function printSummary(file: string, top = 25, window?: Window): void {
  const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top, window);
  console.log(`profile ${file}: ${summary.totalMs} ms of CPU (idle excluded)${window ? `, the ${((window.fromEndMs - window.toEndMs) / 1000).toFixed(1)} s of load only` : ''}`);
  console.log('self time by function (%):');
  console.table(summary.selfTime);
  console.log('self time by package (%):');
  console.table(summary.byPackage);
  console.log('self time attributed to the nearest frame of our code (%):');
  console.table(summary.byOwnFrame);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals) printSummary(file, Number(values.top));
}
