"""A model of one's own, written as the article writes its five: `conv2` with batch normalisation.

Export it and add it to the manifest with

    .venv/bin/python python/export.py --add python/examples/batchnorm.py:conv2_bn

then train it like the article's models: `tflayers train --model conv2_bn`.

The function takes the article's two placeholders and returns the logits. Batch normalisation
(Ioffe and Szegedy, 2015) normalises each convolution's output over the batch while training
and by moving averages when measuring; `should_drop` is True exactly while a training step
runs, so it is the layer's `training` flag. The moving averages are updated by ops that
`tf.compat.v1.layers.batch_normalization` puts in the UPDATE_OPS collection; the exporter
runs them with every training step.
"""

import tensorflow as tf

layers = tf.compat.v1.layers


def conv2_bn(x_input, should_drop):
    """conv 5x5x32 + BN + pool, conv 5x5x64 + BN + pool, dense 1024 ReLU, dense output"""
    x_image = tf.reshape(x_input, [-1, 28, 28, 1])
    conv1 = layers.conv2d(inputs=x_image, filters=32, kernel_size=[5, 5], padding="same")
    norm1 = layers.batch_normalization(conv1, training=should_drop)
    pool1 = layers.max_pooling2d(inputs=tf.nn.relu(norm1), pool_size=[2, 2], strides=2)
    conv2 = layers.conv2d(inputs=pool1, filters=64, kernel_size=[5, 5], padding="same")
    norm2 = layers.batch_normalization(conv2, training=should_drop)
    pool2 = layers.max_pooling2d(inputs=tf.nn.relu(norm2), pool_size=[2, 2], strides=2)
    pool_flat = tf.reshape(pool2, [-1, 7 * 7 * 64])
    hidden = layers.dense(pool_flat, 1024, activation=tf.nn.relu)
    output = layers.dense(hidden, 10)
    return output
