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
}

export interface Share {
  what: string;
  share: number;
}

const ownCode = (url: string) => /\/(src|scripts)\//.test(url) && !url.includes('/node_modules/');
const shortUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(src|scripts)\//, '$1/');
const frameName = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
};

export function summarize(profile: CpuProfile, top = 25): { selfTime: Share[]; byOwnFrame: Share[]; byPackage: Share[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: charge it to that sample's node.
  profile.samples.forEach((id, i) => weight.set(id, (weight.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
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
    while (up && !ownCode(up.callFrame.url)) up = byId.get(parent.get(up.id) ?? -1);
    const ownName = up ? frameName(up) : '(outside our code: runtime, sockets, timers)';
    own.set(ownName, (own.get(ownName) ?? 0) + micros);
    const url = node.callFrame.url;
    const where = /\/node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (ownCode(url) ? 'our code' : url.startsWith('node:') ? 'node core (JS)' : '(native: V8 builtins, syscalls)');
    pkg.set(where, (pkg.get(where) ?? 0) + micros);
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([what, micros]) => ({ what, share: Math.round((1000 * micros) / total) / 10 }));
  return { selfTime: rank(self), byOwnFrame: rank(own), byPackage: rank(pkg), totalMs: Math.round(total / 1000) };
}

export function printSummary(file: string, top = 25): void {
  const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
  console.log(`profile ${file}: ${summary.totalMs} ms of CPU (idle excluded)`);
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
