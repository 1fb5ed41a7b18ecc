# The apps from one image; the compose file picks the entry point (api, worker, or an apps/cli command such as
# migrate.js). tools/ (demo, bench) is for development and stays out of the image (.dockerignore).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# npm run build also puts the admin page's HTML and CSS next to its compiled modules (dist/apps/admin).
COPY scripts/copy-admin-assets.js ./scripts/copy-admin-assets.js
# Compile the apps, then keep only the runtime dependencies for the final stage.
RUN npm run build && npm prune --omit=dev
# PDF exports read one face of Noto Sans SC and of Noto Sans KR (libs/infrastructure/src/export/pdf/pdf-fonts.ts):
# the packages' eight other weights each (80 MB and 49 MB) stay out of the image.
RUN for font in noto-sans-sc noto-sans-kr; do \
      find "node_modules/@expo-google-fonts/$font" -mindepth 1 -maxdepth 1 -type d ! -name 400Regular -exec rm -rf {} +; \
    done

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time from the source tree by the seed CLI (the build copies no data files).
COPY --from=build /app/libs/infrastructure/src/seed/nasty-strings.json ./libs/infrastructure/src/seed/nasty-strings.json
# STORAGE_DRIVER=local writes under ./var (STORAGE_LOCAL_DIR ./var/storage): a directory the node user owns.
RUN mkdir -p /app/var && chown node:node /app/var
USER node
CMD ["node", "dist/apps/api/src/main.js"]
