/**
 * The plan drawn as a graph: dagre lays the steps out (left to right, a dependency before what needs it), the
 * console draws them as SVG. A node is focusable and names its step and state; a new plan version is laid out
 * again, a step's new state only changes its node.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { StepMark, StepView } from '../view.js';
import { svg } from './dom.js';

const NODE = { width: 220, height: 56 };

/** What a state looks like besides its colour, so it does not rest on colour alone. */
export const MARK_SIGNS: Record<StepMark, string> = {
  pending: '○',
  running: '◐',
  succeeded: '✓',
  failed: '✗',
  skipped: '↷',
};

/** A drawn plan: its SVG, and how to show new step states or a new plan. */
export interface PlanGraph {
  element: SVGElement;
  update(steps: StepView[]): void;
}

/** Draws a plan into a new SVG element; `onPick` hears which step a person picked (click or Enter). */
export function planGraph(onPick: (stepId: string) => void): PlanGraph {
  const element = svg('svg', { class: 'plan-graph', role: 'group', 'aria-label': 'The plan as a graph' });
  let shape = '';
  const nodes = new Map<string, SVGElement>();
  return {
    element,
    update(steps) {
      const next = JSON.stringify(steps.map((s) => [s.id, s.title, s.dependsOn, s.change ?? '']));
      if (next !== shape) {
        shape = next;
        draw(element, steps, nodes, onPick);
      }
      for (const step of steps) {
        const node = nodes.get(step.id);
        if (!node) continue;
        node.setAttribute('class', `node step-${step.mark}${step.change ? ` change-${step.change}` : ''}`);
        node.setAttribute('aria-label', `step ${step.id}: ${step.title}, ${step.mark}`);
        const state = node.querySelector('.state');
        if (state) state.textContent = `${MARK_SIGNS[step.mark]} ${step.mark}${step.change ? ` · ${step.change}` : ''}`;
      }
    },
  };
}

function draw(element: SVGElement, steps: StepView[], nodes: Map<string, SVGElement>, onPick: (id: string) => void) {
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  for (const step of steps) g.setNode(step.id, { ...NODE });
  for (const step of steps) for (const dep of step.dependsOn) if (ids.has(dep)) g.setEdge(dep, step.id);
  layout(g);
  const { width = 0, height = 0 } = g.graph() as { width?: number; height?: number };
  element.replaceChildren(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
      ),
    ),
  );
  element.setAttribute('viewBox', `0 0 ${Math.max(width, 1)} ${Math.max(height, 1)}`);
  element.setAttribute('width', String(width));
  element.setAttribute('height', String(height));
  for (const edge of g.edges()) {
    const points = (g.edge(edge) as { points: { x: number; y: number }[] }).points;
    element.append(
      svg('polyline', {
        class: 'edge',
        points: points.map((p) => `${p.x},${p.y}`).join(' '),
        'marker-end': 'url(#arrow)',
      }),
    );
  }
  nodes.clear();
  for (const step of steps) {
    const { x, y } = g.node(step.id) as { x: number; y: number };
    const left = x - NODE.width / 2;
    const top = y - NODE.height / 2;
    const node = svg(
      'g',
      { tabindex: 0, role: 'button', 'data-step': step.id, transform: `translate(${left},${top})` },
      svg('title', {}, `${step.id}: ${step.title}${step.tool ? ` (${step.tool})` : ''}`),
      svg('rect', { width: NODE.width, height: NODE.height, rx: 6 }),
      svg('text', { x: 10, y: 22, class: 'title' }, clip(step.title, 27)),
      svg('text', { x: 10, y: 42, class: 'state' }, ''),
    );
    node.addEventListener('click', () => onPick(step.id));
    node.addEventListener('keydown', (e) => {
      const key = (e as KeyboardEvent).key;
      if (key === 'Enter' || key === ' ') {
        e.preventDefault();
        onPick(step.id);
      }
    });
    nodes.set(step.id, node);
    element.append(node);
  }
}

function clip(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}
