#!/bin/sh
# A first deployed job: prints its arguments and where Errand runs it.
echo "Hello from the deployed job $ERRAND_JOB_NAME (run $ERRAND_RUN_ID, kind $ERRAND_JOB_KIND)"
for argument in "$@"; do echo "argument: [$argument]"; done
echo "working directory: $(pwd)"
echo "persistent data folder: $ERRAND_DATA_PATH"
