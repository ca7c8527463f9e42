/**
 * The cell of a run: the (experiment, dataset label, noise, model and training axis values, arm) whose runs are pooled
 * over seeds. Every table row, plot series, claim and ensemble groups runs through these keys and no other:
 *   cellKey      one summary row, one series of a plot, one arm of a claim
 *   blockKey     the cells compared with each other (baseline deltas, ranks, bold best values, one plot per block):
 *                a cell without its arm, i.e. one cell of every other axis
 *   ensembleKey  the members of one ensemble: a cell and a seed
 *   pairKey      the runs matched across two cells of a block in paired tests (seed, and member index)
 * The axes (src/core/axes.ts) come from the set of runs being tabulated: without sweep axes a cell is (experiment,
 * dataset, noise, method) and its key is what it always was.
 */
import { armLabel, NO_AXES, settingLabels, type Axes } from './axes';
import type { ResolvedDataset } from './experiment';
import type { RunSpec } from './run';

/**
 * The dataset as named in tables: the name, plus the limited-data setting when there is one (`digits-train0.1`,
 * `digits-n500`), so full and limited runs of one dataset stay apart.
 */
export function datasetLabel(dataset: Pick<ResolvedDataset, 'name' | 'trainFraction' | 'trainSize'>): string {
  if (typeof dataset.trainFraction === 'number' && dataset.trainFraction < 1) return `${dataset.name}-train${dataset.trainFraction}`;
  if (typeof dataset.trainSize === 'number') return `${dataset.name}-n${dataset.trainSize}`;
  return dataset.name;
}

/** A cell by its labels, as shown in the tables. */
export interface Cell {
  experiment: string;
  dataset: string;
  noise: string;
  /** The arm: the method name, with the options that tell a swept entry's arms apart (`neutreno[lambda=0.2]`). */
  method: string;
  /** The model and training axis values, [key, value as text] in axis order; absent or empty without such axes. */
  settings?: [string, string][];
}

type CellSpec = Pick<RunSpec, 'experiment' | 'dataset' | 'noise' | 'method' | 'model' | 'train'>;

export function cellOf(spec: CellSpec, axes: Axes = NO_AXES): Cell {
  const cell: Cell = { experiment: spec.experiment, dataset: datasetLabel(spec.dataset), noise: spec.noise.label, method: armLabel(spec, axes) };
  if (axes.settings.length) cell.settings = settingLabels(spec, axes);
  return cell;
}

/** The key of a cell given by its labels (a summary row has them). */
export function keyOfCell(c: Cell): string {
  return c.settings?.length
    ? JSON.stringify([c.experiment, c.dataset, c.noise, c.settings, c.method])
    : JSON.stringify([c.experiment, c.dataset, c.noise, c.method]);
}

/** The key of a run's cell under the axes of the runs it is tabulated with. */
export function cellKey(spec: CellSpec, axes: Axes = NO_AXES): string {
  return keyOfCell(cellOf(spec, axes));
}

/** The block of a cell (its labels without the arm): the cells compared with each other. */
export function blockKey(c: Omit<Cell, 'method'>): string {
  return c.settings?.length ? JSON.stringify([c.experiment, c.dataset, c.noise, c.settings]) : JSON.stringify([c.experiment, c.dataset, c.noise]);
}

/** The ensemble a member belongs to: its cell and seed. */
export function ensembleKey(spec: CellSpec & Pick<RunSpec, 'seed'>, axes: Axes = NO_AXES): string {
  return JSON.stringify([cellKey(spec, axes), spec.seed]);
}

/** The pairing key of a run within its cell: its seed, and its ensemble member index when it is one. */
export function pairKey(spec: Pick<RunSpec, 'seed' | 'member'>): string {
  return spec.member ? `${spec.seed}/${spec.member.index}` : String(spec.seed);
}
