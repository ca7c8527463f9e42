/** The reference arm: plain empirical risk minimisation, cross-entropy on one-hot targets. */
import { z } from 'zod';
import { defineMethod } from './define';

export default defineMethod({
  name: 'baseline',
  summary: 'plain empirical risk minimisation with cross-entropy on one-hot targets',
  family: 'reference',
  kinds: [],
  actsOn: 'nothing (reference arm)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '1×', measured: 1 },
  paper: '-',
  options: z.strictObject({}),
  limit: { options: {}, why: 'it is the baseline' },
  create: () => ({ name: 'baseline' }),
});
