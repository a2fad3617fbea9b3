"""Shared GraphQL machinery: context, errors, limits and costs, the walker, ids, cursors, inputs."""
