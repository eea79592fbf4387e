-- DropForeignKey
ALTER TABLE "Tag" DROP CONSTRAINT "Tag_parentId_fkey";

-- AlterTable
ALTER TABLE "Tag" ADD COLUMN     "nameFolded" TEXT NOT NULL DEFAULT '';

-- AddForeignKey
ALTER TABLE "Tag" ADD CONSTRAINT "Tag_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Tag"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- Existing tags: fold their names (new names are folded by the server, Unicode-aware).
UPDATE "Tag" SET "nameFolded" = LOWER("name");
