/**
 * The one import of TensorFlow.js. The union package registers the gradients (tfjs-core alone does not under Node)
 * and the cpu backend; wasm and tensorflow are added by src/backend.ts.
 */
export * from '@tensorflow/tfjs';
