import multipart from '@fastify/multipart'
import fp from 'fastify-plugin'

// Streaming multipart for uploads: one file part, a few small fields at most. The file limit
// is one byte over UPLOAD_MAX_BYTES so that the upload's own byte count (FileService) is what
// answers 413, and busboy never hands over a silently truncated file.
export default fp(
  async (app) => {
    await app.register(multipart, {
      limits: {
        fileSize: app.core.config.UPLOAD_MAX_BYTES + 1,
        files: 1,
        fields: 4,
        fieldSize: 1024,
        fieldNameSize: 100,
        parts: 5,
        headerPairs: 50,
      },
    })
  },
  { name: 'multipart', dependencies: ['core'] },
)
