/** TensorFlow.js takes a moment to load; only commands that use it pay for it. */
export const loadModelPackage = () => import('@fmnist/model');
