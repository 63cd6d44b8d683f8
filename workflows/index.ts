/**
 * The workflows entry point: every function exported here is a workflow type.
 */
export { planAndExecute } from './plan-and-execute.js';
