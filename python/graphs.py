"""The article's five MNIST classifiers, written with the TF1 layers API.

Each function takes the placeholders the article defines (`x_input`: [None, 784] float32 and
`should_drop`: a scalar bool) and returns the logits of the output layer. The bodies follow the
article line by line; the only change is the module path, `tf.compat.v1.layers`, because
TensorFlow 2.21 keeps the layers API there (with `tf-keras` and `TF_USE_LEGACY_KERAS=1`).
"""

import tensorflow as tf

layers = tf.compat.v1.layers


def dense(x_input, should_drop):
    """One dense output layer: a softmax regression over the raw pixels."""
    del should_drop  # no dropout in this model
    output = layers.dense(x_input, 10)
    return output


def hidden(x_input, should_drop):
    """A hidden layer of 1024 ReLU units before the output layer."""
    del should_drop
    hidden = layers.dense(x_input, 1024, activation=tf.nn.relu)
    output = layers.dense(hidden, 10)
    return output


def conv1(x_input, should_drop):
    """One 5x5 convolution with 32 filters and a 2x2 max-pool before the hidden layer."""
    del should_drop
    x_image = tf.reshape(x_input, [-1, 28, 28, 1])
    conv1 = layers.conv2d(
        inputs=x_image,
        filters=32,
        kernel_size=[5, 5],
        padding="same",
        activation=tf.nn.relu,
    )
    pool1 = layers.max_pooling2d(inputs=conv1, pool_size=[2, 2], strides=2)
    pool_flat = tf.reshape(pool1, [-1, 14 * 14 * 32])
    hidden = layers.dense(pool_flat, 1024, activation=tf.nn.relu)
    output = layers.dense(hidden, 10)
    return output


def _two_conv_blocks(x_input):
    """The shared trunk of the last two models: conv 32 + pool, conv 64 + pool, hidden 1024."""
    x_image = tf.reshape(x_input, [-1, 28, 28, 1])
    conv1 = layers.conv2d(
        inputs=x_image,
        filters=32,
        kernel_size=[5, 5],
        padding="same",
        activation=tf.nn.relu,
    )
    pool1 = layers.max_pooling2d(inputs=conv1, pool_size=[2, 2], strides=2)
    conv2 = layers.conv2d(
        inputs=pool1,
        filters=64,
        kernel_size=[5, 5],
        padding="same",
        activation=tf.nn.relu,
    )
    pool2 = layers.max_pooling2d(inputs=conv2, pool_size=[2, 2], strides=2)
    pool_flat = tf.reshape(pool2, [-1, 7 * 7 * 64])
    hidden = layers.dense(pool_flat, 1024, activation=tf.nn.relu)
    return hidden


def conv2(x_input, should_drop):
    """Two convolution/pooling blocks (32 and 64 filters) before the hidden layer."""
    del should_drop
    hidden = _two_conv_blocks(x_input)
    output = layers.dense(hidden, 10)
    return output


def dropout(x_input, should_drop):
    """The two-block model with dropout (rate 0.5) on the hidden layer while training."""
    hidden = _two_conv_blocks(x_input)
    dropout = layers.dropout(inputs=hidden, rate=0.5, training=should_drop)
    output = layers.dense(dropout, 10)
    return output


# In the article's order; the keys are the names used by the manifest and the Rust CLI.
MODELS = {
    "dense": dense,
    "hidden": hidden,
    "conv1": conv1,
    "conv2": conv2,
    "dropout": dropout,
}
