/** In every test file of the cluster suite: workers and clients keep large outputs in the cluster's PostgreSQL. */
import { inject } from 'vitest';

process.env.PLANWRIGHT_OUTPUT_STORE = inject('clusterOutputStore');
